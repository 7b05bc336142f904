"""Role groups and their permissions. A migration creates them; seed_demo and tests use them.

Changing a role: edit ROLE_PERMISSIONS and add a migration that calls sync_role_groups,
so existing databases follow.
"""

VIEW_DEPARTMENT = [
    "radiology.view_appointment",
    "radiology.view_patient",
    "radiology.view_room",
    "radiology.view_staffmember",
    "radiology.view_day_list",
    "radiology.view_order",
    "radiology.view_report",
    "radiology.view_resultletter",
    "procedures.view_procedure",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "scheduler": [
        *VIEW_DEPARTMENT,
        "radiology.add_patient",
        "radiology.change_patient",
        "radiology.book_appointment",
        "radiology.mark_no_show",
        "notifications.view_message",
        "radiology.add_order",
        "radiology.change_order",
        "radiology.view_order_queue",
        "radiology.view_interfacemessage",
        # Result letters: the print queue, the "posted" mark, sending by her link.
        "radiology.send_result_letter",
    ],
    "technologist": [
        *VIEW_DEPARTMENT,
        "radiology.check_in_appointment",
        "radiology.perform_procedure",
        "radiology.mark_no_show",
    ],
    "nurse": [
        *VIEW_DEPARTMENT,
        "radiology.check_in_appointment",
        "radiology.perform_procedure",
        "radiology.mark_no_show",
    ],
    "radiologist": [
        *VIEW_DEPARTMENT,
        "radiology.perform_procedure",
        "radiology.arrange_follow_up",
        "radiology.sign_report",
    ],
    # Managers get every permission of these apps (see sync_role_groups) except the clinical
    # ones: a manager is not clinical staff unless also given a clinical role.
    "manager": [
        "radiology.view_dashboard",
        "notifications.view_message",
        # The read audit and unlocking refused log-ins (security app, migration security 0002).
        "security.view_accesslogentry",
        "security.unlock_logins",
    ],
}
MANAGER_APPS = ("radiology", "procedures", "scheduling", "notifications")
CLINICAL_PERMISSIONS = [
    "radiology.check_in_appointment",
    "radiology.perform_procedure",
    "radiology.mark_no_show",
    "radiology.arrange_follow_up",
    "radiology.sign_report",
]


def sync_role_groups(apps) -> None:
    """Create the role groups and set exactly their permissions (works in migrations)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = set()
        for name in names:
            app_label, codename = name.split(".")
            wanted.update(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename).values_list(
                    "pk", flat=True
                )
            )
        if role == "manager":
            clinical = [name.split(".")[1] for name in CLINICAL_PERMISSIONS]
            wanted.update(
                Permission.objects.filter(content_type__app_label__in=MANAGER_APPS)
                .exclude(content_type__app_label="radiology", codename__in=clinical)
                .values_list("pk", flat=True)
            )
        group.permissions.set(wanted)

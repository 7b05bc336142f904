from django.contrib import admin

from procedures.models import Procedure, ReminderRule


class ReminderRuleInline(admin.TabularInline):
    model = ReminderRule
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["name", "injection_cpt", "imaging_cpt_single", "imaging_cpt_multiple", "default_duration_minutes"]
    inlines = [ReminderRuleInline]
    fieldsets = [
        (None, {"fields": ["slug", "name", "also_known_as", "active"]}),
        ("Codes", {"fields": ["injection_cpt", "imaging_cpt_single", "imaging_cpt_multiple"]}),
        (
            "Scheduling",
            {
                "fields": [
                    "min_duration_minutes",
                    "max_duration_minutes",
                    "default_duration_minutes",
                    "duration_step_minutes",
                    "turnover_minutes",
                    "min_lead_time_hours",
                    "no_expression_window_min_hours",
                    "no_expression_window_max_hours",
                    "no_show_grace_minutes",
                    "room_capability",
                ]
            },
        ),
        (
            "Patient information (plain language)",
            {
                "fields": [
                    "summary",
                    "purpose",
                    "indications",
                    "preparation",
                    "no_expression_instruction",
                    "procedure_description",
                    "patient_experience",
                    "risks",
                    "benefits",
                    "recovery",
                    "alternatives",
                    "personnel",
                    "setting",
                ]
            },
        ),
    ]

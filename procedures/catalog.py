"""The galactogram's catalog entry, drawn from shared/seeds (the procedure reference).

Codes, durations and the no-expression window come from the reference; the
patient-facing text is rewritten in plain language. Used by the data migration and by
tests; editable afterwards in the admin.
"""

GALACTOGRAM = {
    "slug": "galactogram",
    "name": "Mammary ductogram (galactogram)",
    "also_known_as": "Galactogram; injection procedure for mammary ducts",
    "injection_cpt": "19030",
    "imaging_cpt_single": "77053",
    "imaging_cpt_multiple": "77054",
    "min_duration_minutes": 30,
    "max_duration_minutes": 45,
    "default_duration_minutes": 45,
    "duration_step_minutes": 15,
    "turnover_minutes": 0,
    "no_expression_window_min_hours": 24,
    "no_expression_window_max_hours": 48,
    "min_lead_time_hours": 48,
    "no_show_grace_minutes": 15,
    "room_capability": "mammography",
    "personnel": "A radiologist, with a radiologic technologist or a nurse.",
    "setting": "A breast-imaging room with a mammography unit, in the radiology department.",
    "summary": (
        "A galactogram (also called a ductogram) is an X-ray test of the milk ducts. A very thin, soft "
        "tube is placed in the opening of one duct at the nipple, a small amount of dye (contrast) is "
        "put in, and mammogram pictures are taken. The dye shows the inside of the duct."
    ),
    "purpose": (
        "It helps find the cause of fluid coming from one opening of the nipple, such as a small growth "
        "inside a duct (papilloma) or a widened duct, so that the right treatment can be planned."
    ),
    "indications": (
        "- Nipple discharge with no known cause, especially if it is bloody or comes from one opening\n"
        "- Discharge that keeps coming back and is not related to breastfeeding\n"
        "- A possible growth or widening inside a duct\n"
        "- Other imaging that needs a closer look"
    ),
    "preparation": (
        "- You can eat and drink as usual; no fasting is needed.\n"
        "- Do not squeeze the nipple or try to express fluid for 2 days (48 hours) before your "
        "appointment. We need some fluid to be there on the day to find the right duct.\n"
        "- Tell us before the appointment if you have ever had a reaction to X-ray dye (contrast).\n"
        "- You may have a mammogram or ultrasound first to find the duct.\n"
        "- Wear a two-piece outfit; you will change into a gown from the waist up."
    ),
    "no_expression_instruction": (
        "From now until your appointment, please do not squeeze your nipple or try to express any fluid. "
        "The doctor needs to see the fluid on the day to find the right duct."
    ),
    "procedure_description": (
        "- You sit or lie down.\n"
        "- The nipple area is cleaned.\n"
        "- The doctor gently places a very thin, soft tube into the duct that the fluid comes from.\n"
        "- A small amount of dye is put in slowly through the tube.\n"
        "- Mammogram pictures are taken.\n"
        "- The tube is removed and a small dressing may be put on."
    ),
    "patient_experience": (
        "Most people feel slight discomfort or pressure when the tube goes in and the dye is put in. "
        "Afterwards the breast can feel a little tender or full for a few hours. A mild pain reliever "
        "and a warm compress help."
    ),
    "risks": (
        "- Discomfort or pain when the tube is placed\n"
        "- Allergic reaction to the dye (rare)\n"
        "- Infection where the tube was placed\n"
        "- Minor bleeding or bruising"
    ),
    "benefits": (
        "- Shows clearly what is happening inside the duct\n"
        "- Helps plan the right treatment, including surgery if needed\n"
        "- Only a small procedure, with a quick recovery"
    ),
    "recovery": (
        "- You can go back to your normal activities straight away.\n"
        "- Mild soreness can be eased with an over-the-counter pain reliever.\n"
        "- We will arrange a follow-up to talk about the results and any next steps."
    ),
    "alternatives": (
        "- Ultrasound of the breast ducts\n"
        "- Breast MRI\n"
        "- Surgery to examine or sample the duct (biopsy)\n"
        "Each has its own advantages and drawbacks; your doctor can talk them through with you."
    ),
}

# When messages are due. Elapsed offsets count real time; wall-clock ones name a local time.
GALACTOGRAM_REMINDER_RULES = [
    {
        "kind": "prep",
        "audience": "patient",
        "anchor": "at_booking",
        "offset_minutes": 0,
        "advances_state": True,
    },
    {
        "kind": "no_expression",
        "audience": "patient",
        "anchor": "elapsed",
        "offset_minutes": 48 * 60,
        # Booked late: still worth sending while more than 24 h remain (the window's short end).
        "send_late_until_minutes_before": 24 * 60,
        "advances_state": True,
    },
    {
        "kind": "day_before",
        "audience": "patient",
        "anchor": "wall_clock",
        "days_before": 1,
        "local_time": "17:00",
        "send_late_until_minutes_before": 60,
    },
    {"kind": "follow_up", "audience": "patient", "anchor": "after_completion", "offset_minutes": 60},
]

"""FHIR R4 at /fhir/R4: the department's patients, staff, rooms, schedules, slots and
appointments for the EHR and the patient portal, and $find / $book / $cancel.

A thin translation at the edge: reads go through querysets and the scheduling engine's
slot search, changes through the booking and cancellation services, exactly as for the
pages and /api/v1. Nothing here decides who may book what, when; it only maps names and shapes.
See docs/interfaces.md, section "FHIR R4".
"""

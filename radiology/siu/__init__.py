"""HL7 v2.5.1 SIU messages about appointments: a thin translation, built with hl7apy.
Planning and delivery are radiology.services.hl7_events and the outbox's `hl7` channel."""

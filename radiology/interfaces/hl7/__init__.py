"""HL7 v2 order intake over MLLP: messages, ACKs, the listener. See docs/interfaces.md."""

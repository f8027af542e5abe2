"""The conversation as a channel-neutral state machine over core (DESIGN.md section 5)."""

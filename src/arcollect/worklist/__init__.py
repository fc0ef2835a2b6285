"""The collector's prioritized worklist: proposed actions, priority scores, follow-ups."""

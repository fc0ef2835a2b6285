"""What happened on an account: activities (calls, emails, notes) and promises-to-pay."""

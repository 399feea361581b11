"""Fit a scenario to a CRM export of leads and activities, and write CRM-style exports."""

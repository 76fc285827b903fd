"""Scheduled inspections (定期巡检): schedules, the job generator and the compliance report."""

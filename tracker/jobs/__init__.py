"""Scheduled work: the job list, the scheduler process, and what the admin page shows of them."""

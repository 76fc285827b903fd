"""Reports for the office: response times, SLA compliance, breaches, quality."""

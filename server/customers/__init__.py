"""Customers' side of after-sales: warranty (三包) and billing, complaints, return visits, the customer
file and training sessions."""

"""Contracts (合同) with their promises, warranty certificates and maintenance agreements."""

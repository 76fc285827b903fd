"""Customers: find one, open its file (equipment and warranty, jobs, complaints, return visits,
satisfaction), record and move complaints along, record return visits, plan training. Also the billing
decision and training panels that the job screen shows. One module per section."""

from console.screens.customers.billing import BillingPanel
from console.screens.customers.file import CustomerFileScreen
from console.screens.customers.search import CustomersScreen
from console.screens.customers.training import TrainingPanel

__all__ = ["BillingPanel", "CustomerFileScreen", "CustomersScreen", "TrainingPanel"]

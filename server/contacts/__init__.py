"""The contact register (来电来函登记) and the customer's care (重点客户, 指定专人负责)."""

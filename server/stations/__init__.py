"""Service stations, repair points and regions (售后服务站、特约维修点)."""

"""Deliveries over time: what the inbox holds, when each source's partitions are due, and how much they hold."""

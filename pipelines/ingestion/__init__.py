"""Contract-driven landing of departmental deliveries: contracts, readers, landing, the ops tables."""

"""What managers read about their centres: the dashboard's figures and charts, and occupancy by day."""

"""The thidua-sync Flask service (DESIGN §6–§7)."""

"""The Cimaise beacon agent: BLE scanning to anonymized visits, and BLE advertising."""

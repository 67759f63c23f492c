"""Files in and out: spreadsheets read as offices send them, uploads held for confirmation, PDF and charts."""

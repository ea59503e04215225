"""Support KPIs: their definitions (pure), over rollups the service layer keeps."""

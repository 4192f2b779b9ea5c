"""The Open311 GeoReport v2 channel: `gridbot api` serves it (FastAPI, uvicorn)."""

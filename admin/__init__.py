"""The admin console (管理后台): a FastAPI app with server-rendered pages over the same
commands as the bot. `create_admin_app(app)` builds it; `gridbot admin` serves it."""

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GRIDBOT_DATA_DIR=/data
WORKDIR /app
# pg_dump / pg_restore for `gridbot db backup | restore`: bookworm ships PostgreSQL 15, the server's version
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client-15 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY gridbot gridbot
COPY dispatch dispatch
COPY nlu nlu
COPY bot bot
COPY admin admin
COPY texts texts
COPY tgsandbox tgsandbox
COPY api api
RUN pip install --no-cache-dir . && mkdir -p /data
VOLUME ["/data"]
CMD ["gridbot", "--help"]

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GRIDBOT_DATA_DIR=/data
WORKDIR /app
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

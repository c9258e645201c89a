# The project installed into the Airflow image, from the same lock file as development.
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/tender-radar
USER airflow
WORKDIR /opt/tender-radar
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/tender-radar
ENV TENDER_RADAR_HOME=/opt/tender-radar

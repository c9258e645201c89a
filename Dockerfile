# The project installed into the Airflow image, from the same lock file as development.
FROM apache/airflow:3.3.2-python3.11
USER root
COPY --chown=airflow:root . /opt/tender-radar
# var/ is left out of the build context; made here, a named volume mounted on it starts out owned
# by the airflow user (group 0 writable, as the image runs with any uid in group 0), not by root.
RUN mkdir -p /opt/tender-radar/var/outbox /opt/tender-radar/var/airflow \
 && chown -R airflow:root /opt/tender-radar/var \
 && chmod -R g+rwX /opt/tender-radar/var
USER airflow
WORKDIR /opt/tender-radar
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/tender-radar
ENV TENDER_RADAR_HOME=/opt/tender-radar

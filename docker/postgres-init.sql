CREATE DATABASE tender_radar OWNER airflow;

-- One PostgreSQL server, one database per service.
CREATE DATABASE policies;
CREATE DATABASE debtors;
CREATE DATABASE claims;
CREATE DATABASE webhooks;

#!/bin/sh
# First start of the compose PostgreSQL: the llwybr database, the schema owner (migrations) and
# one runtime role per schema that owns nothing (deploy/README.md, "Database roles").
set -eu
psql -v ON_ERROR_STOP=1 -U postgres <<SQL
CREATE DATABASE llwybr;
CREATE ROLE llwybr_owner LOGIN PASSWORD '${LLWYBR_OWNER_PASSWORD}';
GRANT CREATE ON DATABASE llwybr TO llwybr_owner;
CREATE ROLE referral_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
CREATE ROLE idp_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
CREATE ROLE health_liaison_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
CREATE ROLE notifications_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
CREATE ROLE advocacy_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
CREATE ROLE insight_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
CREATE ROLE journey_app LOGIN PASSWORD '${LLWYBR_APP_PASSWORD}';
SQL

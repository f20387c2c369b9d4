-- pgvector holds every embedding (memories now, knowledge later). gen_random_uuid() is core since PostgreSQL 13.
CREATE EXTENSION IF NOT EXISTS vector;

-- Keeps updated_at honest on every table without each query having to remember it.
CREATE OR REPLACE FUNCTION doppel_touch_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

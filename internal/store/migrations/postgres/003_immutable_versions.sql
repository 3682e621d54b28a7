-- SPDX-License-Identifier: Apache-2.0
-- Published and retired processing versions are immutable in the database
-- too, not only in the store code: consents and receipts point at them, and
-- notices are proven by their hash. The only change allowed is retiring a
-- published version.

CREATE FUNCTION processing_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.status <> 'draft' THEN
			RAISE EXCEPTION 'published processing versions are immutable';
		END IF;
		RETURN OLD;
	END IF;
	IF OLD.status <> 'draft' AND NOT (
		OLD.status = 'published' AND NEW.status = 'retired'
		AND (to_jsonb(NEW) - 'status' - 'retired_at' - 'updated_at') = (to_jsonb(OLD) - 'status' - 'retired_at' - 'updated_at')
	) THEN
		RAISE EXCEPTION 'published processing versions are immutable';
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER processing_versions_immutable BEFORE UPDATE OR DELETE ON processing_versions
FOR EACH ROW EXECUTE FUNCTION processing_versions_immutable();

-- Notices and data-group links of a version change only while it is a draft.
CREATE FUNCTION version_parts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	vid TEXT;
BEGIN
	IF TG_OP = 'DELETE' THEN
		vid := OLD.version_id;
	ELSE
		vid := NEW.version_id;
	END IF;
	IF (SELECT status FROM processing_versions WHERE id = vid) <> 'draft' THEN
		RAISE EXCEPTION 'notices and data groups of published processing versions are immutable';
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN OLD;
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER notices_immutable BEFORE INSERT OR UPDATE OR DELETE ON notices
FOR EACH ROW EXECUTE FUNCTION version_parts_immutable();

CREATE TRIGGER version_groups_immutable BEFORE INSERT OR UPDATE OR DELETE ON processing_version_data_groups
FOR EACH ROW EXECUTE FUNCTION version_parts_immutable();

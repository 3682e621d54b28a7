-- SPDX-License-Identifier: Apache-2.0
-- A business ID is unique among this operator's own organisations. A
-- peer's organisation mirrored from its catalogue (operator_id set) may
-- share one with ours, or with another peer's: a company registered at
-- two operators is two rows, each under its own operator.
DROP INDEX organisations_business_id;
CREATE UNIQUE INDEX organisations_business_id ON organisations (business_id) WHERE kind <> 'division' AND operator_id IS NULL;

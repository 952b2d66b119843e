-- Service catalog. The validated definition is kept as one JSON document (written and read only by
-- CatalogService), so adding a field to the definition needs no schema change.
CREATE TABLE services (
    id         VARCHAR(63)   PRIMARY KEY,
    spec       VARCHAR(20000) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_by VARCHAR(80)   NOT NULL
);

-- the app needs no table of its own: Kiln's kiln_session is made by
-- kiln migrate (its builtin part "session"); this keeps the folder
CREATE TABLE visit (id INTEGER PRIMARY KEY);

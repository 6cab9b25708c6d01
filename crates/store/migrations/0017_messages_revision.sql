-- Grows with every change to Altinn's message box, so replicas' cached pages know to let go.
INSERT INTO revisions (aggregate, revision) VALUES ('messages', 0);

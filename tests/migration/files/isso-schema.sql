CREATE TABLE IF NOT EXISTS preferences (    key VARCHAR PRIMARY KEY, value VARCHAR );
CREATE TABLE IF NOT EXISTS threads (     id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR NOT NULL, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
CREATE TRIGGER IF NOT EXISTS remove_stale_threads AFTER DELETE ON comments
  BEGIN     DELETE FROM threads WHERE id NOT IN (SELECT tid FROM comments); END;
PRAGMA user_version = 5;

INSERT INTO preferences VALUES ('session-key', '00112233445566778899aabbccddeeff0011223344556677');
INSERT INTO threads (id, uri, title) VALUES (1, '/2021/03/tea/', 'Tea & biscuits');
INSERT INTO comments (tid,id,parent,created,modified,mode,remote_addr,text,author,email,website,voters)
VALUES (1,1,NULL,1614682800.0,NULL,1,'192.0.2.0','Great post *indeed*','Mia','mia@mail.example','https://mia.example',X'00'),
       (1,2,1,   1614686400.5,NULL,1,'192.0.2.0','Agreed','Bo',NULL,NULL,X'00'),
       (1,3,NULL,1614729600.0,NULL,2,'198.51.100.0','pending text','Cy','cy@mail.example',NULL,X'00'),
       (1,4,NULL,1614600000.0,1614800000.0,4,'192.0.2.0','',NULL,'gone@mail.example',NULL,X'00'),
       (1,5,4,   1614610000.0,NULL,1,'192.0.2.0','reply to a deleted comment','Dee',NULL,NULL,X'00');

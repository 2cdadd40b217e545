"""Projects: public and private parts, immutable config versions, members and invitations."""

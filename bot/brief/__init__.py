"""The brief itself, in pure Python: parsing, files, pages, text, drafts. No Discord here."""

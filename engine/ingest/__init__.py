"""Files in: walk and watch folders, load each format, chunk, and keep the manifest of what is indexed."""

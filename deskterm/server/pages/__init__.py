"""The public help pages of `deskterm serve`: the knowledge base and the contact form.

Rendered on the server with Jinja2 (autoescape on); a little script only adds
suggestions while typing on /contact, and every page works without it.
"""

"""`school-admin`: the command line for installers and scripts. It calls the same domain
functions as the web pages."""

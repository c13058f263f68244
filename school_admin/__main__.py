from school_admin.cli import main

raise SystemExit(main())

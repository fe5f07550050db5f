from ccsoo_exam.cli import main

raise SystemExit(main())

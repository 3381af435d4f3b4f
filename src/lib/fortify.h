// SPDX-License-Identifier: MIT
/*
 * Forced into every file of the release build (the Makefile's
 * VMON_FORTIFY: -include src/lib/fortify.h), before any system header.
 * Nothing includes it by name.
 *
 * glibc's _FORTIFY_SOURCE needs optimisation: without it features.h
 * warns, and -Werror makes that an error.  So level 2 only when the
 * compiler optimises (__OPTIMIZE__: -O1 and up, -Og, -Os), and only when
 * nobody chose a level already: a compiler that defines it by default,
 * or the user's CPPFLAGS=-D_FORTIFY_SOURCE=3 (command-line -D comes
 * before -include).  The sanitizer builds leave it out: ASan and TSan
 * intercept memcpy and printf, the __*_chk variants would bypass them.
 */
#if defined(__OPTIMIZE__) && !defined(_FORTIFY_SOURCE)
#define _FORTIFY_SOURCE 2
#endif

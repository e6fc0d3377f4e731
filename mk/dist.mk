# Source tarball and the RPM and Arch packages.  Included by the top Makefile.
#
#   make dist      DISTDIR/vfio-early-VERSION.tar.gz: the files of the tree
#                  (tracked, and untracked but not ignored), as git sees them
#   make rpm       rpmbuild -bb dist/rpm/vfio-early.spec from that tarball;
#                  the .rpm in DISTDIR (rpmbuild's tree in DISTDIR/rpmbuild)
#   make arch      makepkg with dist/arch/PKGBUILD from that tarball; the
#                  .pkg.tar.* in DISTDIR.  makepkg refuses to run as root:
#                  as root it runs as nobody (setpriv), in a directory of
#                  its own under /tmp (which nobody can reach, whatever
#                  DISTDIR's parents allow), removed afterwards.
#
# RPM_FLAGS and MAKEPKG_FLAGS add options (the tests pass --nocheck, and
# rpmbuild --nodeps where the build dependencies are Debian's).  Nothing is
# installed and nothing outside DISTDIR is written.

DISTDIR       ?= build/dist
DIST_NAME     := vfio-early-$(VERSION)
DIST_TARBALL   = $(DISTDIR)/$(DIST_NAME).tar.gz
RPM_FLAGS     ?=
MAKEPKG_FLAGS ?=
# makepkg's user when run as root
MAKEPKG_UID   ?= 65534

dist:
	@mkdir -p $(DISTDIR)
	$(Q)git ls-files -z --cached --others --exclude-standard | \
	  xargs -0 sh -c 'for f; do [ ! -e "$$f" ] || printf "%s\0" "$$f"; done' sh | \
	  LC_ALL=C sort -z | \
	  tar --null -T - --transform 's,^,$(DIST_NAME)/,' --owner=0 --group=0 --numeric-owner \
	    --mtime=@$$(git log -1 --format=%ct 2>/dev/null || date +%s) -czf $(DIST_TARBALL).tmp
	$(Q)mv -f $(DIST_TARBALL).tmp $(DIST_TARBALL)
	@echo $(DIST_TARBALL)

rpm: dist
	$(Q)rm -rf $(DISTDIR)/rpmbuild && mkdir -p $(DISTDIR)/rpmbuild/SOURCES
	$(Q)cp $(DIST_TARBALL) $(DISTDIR)/rpmbuild/SOURCES/
	$(Q)rpmbuild -bb --define "_topdir $(abspath $(DISTDIR)/rpmbuild)" \
	  --define "_build_id_links none" $(RPM_FLAGS) dist/rpm/vfio-early.spec
	$(Q)find $(DISTDIR)/rpmbuild/RPMS -name '*.rpm' -exec cp -t $(DISTDIR) {} +
	@ls $(DISTDIR)/*.rpm

arch: dist
	$(Q)rm -rf $(DISTDIR)/makepkg && mkdir -p $(DISTDIR)/makepkg
	$(Q)cp dist/arch/PKGBUILD dist/arch/vfio-early.install $(DIST_TARBALL) $(DISTDIR)/makepkg/
	$(Q)if [ "$$(id -u)" = 0 ]; then \
	  work=$$(mktemp -d /tmp/vfio-early-makepkg.XXXXXX) && \
	  cp $(DISTDIR)/makepkg/* "$$work/" && chown -R $(MAKEPKG_UID):$(MAKEPKG_UID) "$$work" && \
	  (cd "$$work" && setpriv --reuid=$(MAKEPKG_UID) --regid=$(MAKEPKG_UID) --clear-groups \
	    env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS HOME="$$work" BUILDDIR="$$work/build" PKGDEST="$$work" \
	    SRCDEST="$$work" LOGDEST="$$work" makepkg --nodeps --noconfirm $(MAKEPKG_FLAGS)) && \
	  cp "$$work"/vfio-early-*.pkg.tar.* $(DISTDIR)/makepkg/; \
	  rc=$$?; rm -rf "$$work"; exit $$rc; \
	else \
	  cd $(DISTDIR)/makepkg && \
	  env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS BUILDDIR=$$PWD/build PKGDEST=$$PWD SRCDEST=$$PWD \
	    LOGDEST=$$PWD makepkg --nodeps --noconfirm $(MAKEPKG_FLAGS); \
	fi
	$(Q)cp $(DISTDIR)/makepkg/vfio-early-*.pkg.tar.* $(DISTDIR)/
	@ls $(DISTDIR)/*.pkg.tar.*

.PHONY: dist rpm arch

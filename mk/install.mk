# Installation of the binary, its boot integration (initramfs-tools hook,
# init-top and init-bottom scripts, dracut module, mkinitcpio hook, the
# systemd units for systemd initrds, runtime shim), the example
# config, bash completion and the man pages; and `make demo`.  Included by the top Makefile.
#
#   make install [DESTDIR=...] [PREFIX=/usr]     make uninstall
#
# The boot scripts name the binary and the shim by their installed paths;
# they are written for PREFIX=/usr and rewritten here for any other PREFIX.
# (initramfs-tools and dracut only look under /usr/share/initramfs-tools and
# /usr/lib/dracut, so another PREFIX needs links from there.)

PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
PKGLIBDIR   ?= $(PREFIX)/lib/vfio-early
INITRAMFSTOOLSDIR ?= $(PREFIX)/share/initramfs-tools
DRACUTMODDIR ?= $(PREFIX)/lib/dracut/modules.d/90vfio-early
INITCPIODIR ?= $(PREFIX)/lib/initcpio
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# The units are for the initrd: dracut, mkinitcpio and mkosi-initrd take them
# from the host's unit directory.  Installed, never enabled on the host.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL_UNITS := systemd/vfio-early.service systemd/vfio-early-late.service
INSTALL     ?= install
# The binary to install: the top Makefile's $(BIN); `INSTALL_BIN=vfio-early-static`
# installs the static build instead.
INSTALL_BIN ?= $(or $(BIN),vfio-early)
# The static build (`make static`), when it was built, goes to
# $(PKGLIBDIR)/vfio-early-static: the packagers' hooks then put it into the
# initramfs in place of the dynamic binary and its libraries, which stays the
# host's /usr/sbin/vfio-early.  It is copied as it is, never rebuilt here
# (`sudo make install` must not build the musl libraries as root): a copy
# older than a source file gets a warning.  `INSTALL_STATIC=` leaves it out.
INSTALL_STATIC ?= $(wildcard vfio-early-static)

INSTALL_MAN5 := $(wildcard man/*.5)
INSTALL_MAN8 := $(wildcard man/*.8)
INSTALL_SED  := sed -e 's|/usr/sbin/vfio-early|$(SBINDIR)/vfio-early|g' \
                    -e 's|/usr/lib/vfio-early|$(PKGLIBDIR)|g'

# $(call install_script,SOURCE,TARGET[,MODE]): copy with the paths rewritten,
# mode 0755 unless MODE.
install_script = $(INSTALL_SED) $(1) > $(2).tmp && chmod $(or $(3),0755) $(2).tmp && mv -f $(2).tmp $(2)

install: $(INSTALL_BIN)
	$(if $(INSTALL_STATIC),@stale=$$(find src -newer $(INSTALL_STATIC) -name '*.[ch]' | head -n 1); \
	  [ -z "$$stale" ] || echo "warning: $(INSTALL_STATIC) is older than $$stale: run make static first" >&2)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(DRACUTMODDIR)
	$(INSTALL) -d $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks $(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-top
	$(INSTALL) -d $(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-bottom $(DESTDIR)$(SYSTEMDUNITDIR)
	$(INSTALL) -m 0755 $(INSTALL_BIN) $(DESTDIR)$(SBINDIR)/vfio-early
	$(if $(INSTALL_STATIC),$(INSTALL) -m 0755 $(INSTALL_STATIC) $(DESTDIR)$(PKGLIBDIR)/vfio-early-static)
	$(call install_script,hook/vfio-early-shim,$(DESTDIR)$(PKGLIBDIR)/vfio-early-shim)
	$(INSTALL) -m 0755 hook/vfio-early-protected $(DESTDIR)$(PKGLIBDIR)/vfio-early-protected
	$(call install_script,initramfs-tools/hooks/vfio-early,$(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/vfio-early)
	$(call install_script,initramfs-tools/scripts/init-top/00-vfio-early,$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-top/00-vfio-early)
	$(call install_script,dracut-module/90vfio-early/module-setup.sh,$(DESTDIR)$(DRACUTMODDIR)/module-setup.sh)
	$(call install_script,initramfs-tools/scripts/init-bottom/vfio-early,$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-bottom/vfio-early)
	$(call install_script,dracut-module/90vfio-early/vfio-early.sh,$(DESTDIR)$(DRACUTMODDIR)/vfio-early.sh)
	$(call install_script,dracut-module/90vfio-early/vfio-early-late.sh,$(DESTDIR)$(DRACUTMODDIR)/vfio-early-late.sh)
	$(foreach u,$(INSTALL_UNITS),$(call install_script,$(u),$(DESTDIR)$(SYSTEMDUNITDIR)/$(notdir $(u)),0644) &&) true
	$(INSTALL) -d $(DESTDIR)$(INITCPIODIR)/install $(DESTDIR)$(INITCPIODIR)/hooks $(DESTDIR)$(BASHCOMPDIR)
	$(call install_script,mkinitcpio/install/vfio-early,$(DESTDIR)$(INITCPIODIR)/install/vfio-early)
	$(call install_script,mkinitcpio/hooks/vfio-early,$(DESTDIR)$(INITCPIODIR)/hooks/vfio-early)
	$(INSTALL) -m 0644 completion/vfio-early.bash $(DESTDIR)$(BASHCOMPDIR)/vfio-early
	@if [ ! -f vfio-early.conf.example ]; then \
	  echo "install: vfio-early.conf.example not found, no config installed"; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf ]; then \
	  echo "install: keeping the existing $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf"; \
	else \
	  echo "$(INSTALL) -D -m 0644 vfio-early.conf.example $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf"; \
	  $(INSTALL) -D -m 0644 vfio-early.conf.example $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf; \
	fi
ifneq ($(INSTALL_MAN5)$(INSTALL_MAN8),)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(foreach p,$(INSTALL_MAN5),sed 's/@VERSION@/$(VERSION)/g' $(p) > $(DESTDIR)$(MANDIR)/man5/$(notdir $(p)) &&) true
	$(foreach p,$(INSTALL_MAN8),sed 's/@VERSION@/$(VERSION)/g' $(p) > $(DESTDIR)$(MANDIR)/man8/$(notdir $(p)) &&) true
endif

# The config is removed only while it still equals the example.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vfio-early
	rm -f $(DESTDIR)$(PKGLIBDIR)/vfio-early-shim
	rm -f $(DESTDIR)$(PKGLIBDIR)/vfio-early-protected
	rm -f $(DESTDIR)$(PKGLIBDIR)/vfio-early-static
	-rmdir $(DESTDIR)$(PKGLIBDIR)
	rm -f $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/vfio-early
	rm -f $(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-top/00-vfio-early
	rm -f $(DESTDIR)$(DRACUTMODDIR)/module-setup.sh
	rm -f $(DESTDIR)$(DRACUTMODDIR)/vfio-early.sh $(DESTDIR)$(DRACUTMODDIR)/vfio-early-late.sh
	rm -f $(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-bottom/vfio-early
	rm -f $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(INSTALL_UNITS)))
	-rmdir $(DESTDIR)$(DRACUTMODDIR)
	rm -f $(DESTDIR)$(INITCPIODIR)/install/vfio-early $(DESTDIR)$(INITCPIODIR)/hooks/vfio-early
	rm -f $(DESTDIR)$(BASHCOMPDIR)/vfio-early
	@if [ -f $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf ] && [ -f vfio-early.conf.example ] && \
	    cmp -s vfio-early.conf.example $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf; then \
	  echo "rm -f $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf"; \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf ]; then \
	  echo "uninstall: keeping $(DESTDIR)$(SYSCONFDIR)/vfio-early.conf (changed by the user)"; \
	fi
ifneq ($(INSTALL_MAN5),)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(INSTALL_MAN5)))
endif
ifneq ($(INSTALL_MAN8),)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(INSTALL_MAN8)))
endif

# One command on a fresh Debian 12 machine (as root): installs the packages
# it needs, builds, and boots an emulated two-GPU host without and with
# vfio-early.  Touches nothing outside the tree but apt packages.
demo:
	tests/boot/demo.sh

.PHONY: install uninstall demo

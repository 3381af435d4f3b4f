/* SPDX-License-Identifier: MIT */
/* Helpers shared by vmm.c and vmm_devices.c; not for other modules. */
#ifndef VMON_VMM_VMM_PRIV_H
#define VMON_VMM_VMM_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/vmm.h"

/* Replace *dst with a copy of src (NULL clears).  0 or -ENOMEM. */
int vmm_set_str(char **dst, const char *src);
/* 0 if the VM has not started (resp. has), else an error naming what. */
int vmm_pre_boot(struct vmm *v, const char *what, char *err, size_t len);
int vmm_post_boot(struct vmm *v, const char *what, char *err, size_t len);
/* The file a field names can be opened with flags; else an error. */
int vmm_check_file(const char *field, const char *path, int flags,
		   char *err, size_t len);
/* The configuration as it stands, strings borrowed (for vm_config_check). */
void vmm_config_view(struct vmm *v, struct vm_config *c);
void vmm_free_drive(struct vmm_drive *d);
/* Anything configured (a snapshot or migration would replace it). */
bool vmm_configured(const struct vmm *v);
/*
 * v->vm was just restored (snapshot load, migration): serve it and start
 * its vCPUs, parked unless resume.  0, or -errno with err set.
 */
int vmm_adopt_restored(struct vmm *v, bool resume, char *err, size_t len);
void vmm_free_net(struct vmm_net *n);

#endif

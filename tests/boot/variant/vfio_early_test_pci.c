// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_early_test_pci: a vfio-pci variant driver for vfio-early's boot tests
 * (tests/boot/variant.bats), written against the Linux 6.1 vfio_pci_core API.
 *
 * It does what a real variant driver (mlx5_vfio_pci, hisi_acc_vfio_pci) does
 * for the device it knows, minus the device-specific parts: it registers a
 * vfio_pci_core_device for QEMU's emulated NVMe controller (1b36:0010) and
 * hands every operation to vfio_pci_core.  Its id_table entry is marked
 * driver_override only, so the driver never binds on its own and modpost
 * writes the alias "vfio_pci:v00001B36d00000010sv*sd*bc*sc*i*", which is what
 * `driver=auto` looks up in modules.alias.
 *
 * Test use only: it adds nothing to what vfio-pci gives the device.  With
 * fail_probe=1 (modprobe.d) its probe refuses every device, as a variant
 * that does not support the device in hand would.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#define VFE_TEST_DRIVER "vfio-early-test-pci"

/* A variant whose probe fails, for vfio-early's fallback to vfio-pci. */
static bool fail_probe;
module_param(fail_probe, bool, 0444);
MODULE_PARM_DESC(fail_probe, "refuse every device (-ENODEV), for tests of the fallback");

static int vfe_test_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops vfe_test_ops = {
	.name		= VFE_TEST_DRIVER,
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vfe_test_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
};

static int vfe_test_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	if (fail_probe) {
		pci_info(pdev, "refused: fail_probe=1\n");
		return -ENODEV;
	}
	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vfe_test_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	/* vfio_pci_core_register_device expects its device as the drvdata */
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	pci_info(pdev, "registered %04x:%04x with vfio_pci_core\n",
		 pdev->vendor, pdev->device);
	return 0;
}

static void vfe_test_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id vfe_test_table[] = {
	/* QEMU's NVMe controller (hw/nvme: PCI_VENDOR_ID_REDHAT, 0x0010) */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_REDHAT, 0x0010) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfe_test_table);

static struct pci_driver vfe_test_driver = {
	.name			= VFE_TEST_DRIVER,
	.id_table		= vfe_test_table,
	.probe			= vfe_test_probe,
	.remove			= vfe_test_remove,
	.err_handler		= &vfio_pci_core_err_handlers,
	.driver_managed_dma	= true,
};
module_pci_driver(vfe_test_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver for vfio-early's boot tests (QEMU NVMe)");

/*
 * fuzz-face — libFuzzer target for the face image decoder (JPEG through
 * libturbojpeg, JPEG 2000 through OpenJPEG over an in-memory stream): the
 * format sniffing, the stream callbacks and the conversion to RGB.
 */
#include <stddef.h>
#include <stdint.h>

#include "crypto/lds/face.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	face_image *img = NULL;
	if (face_decode(data, size, &img) == FACE_OK) {
		/* Every pixel was written. */
		volatile uint8_t sink = 0;
		for (size_t i = 0; i < img->rgb_len; i++)
			sink ^= img->rgb[i];
		(void)sink;
		face_image_free(img);
	}
	return 0;
}

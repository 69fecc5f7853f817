# Source: https://keras.io/guides/functional_api/
# (https://github.com/keras-team/keras-io/blob/master/guides/functional_api.py)
# "The Functional API", François Chollet. Licence: Apache 2.0.
# The sections "Introduction" to "Save and serialize". Changed for the tests: the imports
# (below), the data (standin.py's MNIST stand-in: 6,000 + 1,000 images, reshape counts
# 6000 and 1000), and the last lines, which report the key figures. Plots are left out.
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
    from keras import ops
else:
    import fastnn as keras
    from fastnn import layers
    from fastnn import ops
import numpy as np
from standin import mnist, report

inputs = keras.Input(shape=(784,))

# Just for demonstration purposes.
img_inputs = keras.Input(shape=(32, 32, 3))

inputs.shape
inputs.dtype

dense = layers.Dense(64, activation="relu")
x = dense(inputs)

x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)

model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")

model.summary()

(x_train, y_train), (x_test, y_test) = mnist.load_data()

x_train = x_train.reshape(6000, 784).astype("float32") / 255
x_test = x_test.reshape(1000, 784).astype("float32") / 255

model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)

history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)

test_scores = model.evaluate(x_test, y_test, verbose=2)
print("Test loss:", test_scores[0])
print("Test accuracy:", test_scores[1])

model.save("my_model.keras")
del model
# Recreate the exact same model purely from the file:
model = keras.models.load_model("my_model.keras")

reloaded_scores = model.evaluate(x_test, y_test, verbose=0)
report(loss=history.history["loss"][-1], val_accuracy=history.history["val_accuracy"][-1],
       test_loss=test_scores[0], test_acc=test_scores[1], reloaded_test_acc=reloaded_scores[1])
